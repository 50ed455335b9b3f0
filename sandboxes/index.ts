import { attioSandbox } from './attio';
import type { VendorSandbox } from './core/server';
import { frontSandbox } from './front';
import { hubspotSandbox } from './hubspot';
import { zendeskSandbox } from './zendesk';

/** Every vendor Tern ships a sandbox for, by name. */
export const SANDBOXES: Record<string, VendorSandbox> = {
  zendesk: zendeskSandbox,
  front: frontSandbox,
  attio: attioSandbox,
  hubspot: hubspotSandbox,
};

export { startSandbox, type RunningSandbox, type SandboxOptions } from './core/server';
export { parseFaultSpec } from './core/faults';
export {
  generateHelpdesk,
  touchHelpdesk,
  HELPDESK_END_AT,
  type HelpdeskFacts,
  type HelpdeskOptions,
  type HelpdeskTouch,
  type HelpdeskTouched,
} from './generate/helpdesk';
export { attachmentSha256, attachmentStream } from './generate/attachments';
export {
  crmFacts,
  generateCrm,
  writeCrmCsvExport,
  CRM_EXPORT_HEADERS,
  type CrmDataset,
  type CrmFacts,
  type StageFacts,
} from './generate/crm';
export { crmScaleOf, hubspotDataset, touchCrm, type CrmTouch, type CrmTouched } from './hubspot';
