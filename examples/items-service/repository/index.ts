export {
  type ItemsDatabase,
  type ItemsTable,
  type ItemsTableName,
  type TableNames,
  tableNames,
} from './database.js';
export { ItemsRepository, type ItemsScope } from './items-repository.js';
export { itemsMigrations, migrateItems, resetItems } from './migrate.js';
