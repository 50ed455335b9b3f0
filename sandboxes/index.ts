import { attioSandbox } from './attio';
import type { VendorSandbox } from './core/server';
import { frontSandbox } from './front';
import { zendeskSandbox } from './zendesk';

/** Every vendor Tern ships a sandbox for, by name. */
export const SANDBOXES: Record<string, VendorSandbox> = {
  zendesk: zendeskSandbox,
  front: frontSandbox,
  attio: attioSandbox,
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
