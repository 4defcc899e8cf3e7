export {
  type Actor,
  ItemsService,
  type ItemsServiceOptions,
  type RepositoryFactory,
} from './items-service.js';
