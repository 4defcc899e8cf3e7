export { createItemsRouter, type ItemJson } from './items-routes.js';
export { itemsOpenApi } from './openapi.js';
