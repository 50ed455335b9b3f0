// The workflow bundle's entry point: every workflow Tern registers with a worker.
export { migrationPhaseWorkflow, objectLoadWorkflow } from './phase';
export { preferencesWorkflow } from './preferences';
export { rollbackWorkflow } from './rollback';
export { cutoverWorkflow } from './cutover';
