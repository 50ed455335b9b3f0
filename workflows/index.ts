// The workflow bundle's entry point: every workflow Tern registers with a worker.
export { migrationPhaseWorkflow } from './phase';
export { preferencesWorkflow } from './preferences';
export { rollbackWorkflow } from './rollback';
