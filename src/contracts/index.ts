/** Route contracts: zod 4 schemas that validate a route's request and document it in the OpenAPI document. */
export { contract, MAX_VALIDATION_ERRORS } from './contract.js';
export type { ContractHandler, ContractSchema, ContractSpec, ValidationIssue } from './types.js';
