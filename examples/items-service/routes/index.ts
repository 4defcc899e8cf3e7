export { createItemsRouter, type ItemJson } from './items-routes.js';
