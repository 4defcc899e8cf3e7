export { ItemForbiddenError, ItemNotFoundError, ItemValidationError } from './errors.js';
export {
  DESCRIPTION_MAX,
  type Item,
  type ItemPatch,
  isItemId,
  itemPatchSchema,
  type NewItem,
  newItemSchema,
  PAGE_LIMIT_DEFAULT,
  PAGE_LIMIT_MAX,
  type Page,
  pageSchema,
  parseItemPatch,
  parseNewItem,
  parsePage,
  TITLE_MAX,
} from './item.js';
