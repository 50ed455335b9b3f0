import type { ProofPack } from '../model';
import { esc } from './markup';
import {
  approvalsSection,
  conflictsSection,
  custodySection,
  quarantineSection,
  rollbackSection,
  signOffSection,
} from './sections-evidence';
import { fieldMapSection, preferencesSection } from './sections-profile';
import { headerBlock, phasesSection } from './sections-proof';
import { STYLE } from './style';

/**
 * The proof pack as one self-contained HTML page: its stylesheet inline, its charts inline SVG, no script and no
 * external resource of any kind (the Content-Security-Policy forbids them, so a page edited to fetch something
 * would be refused by the browser).
 */

const CONTENTS: [string, string][] = [
  ['phases', 'Phases'],
  ['preferences', 'Profile'],
  ['field-map', 'Field map'],
  ['quarantine', 'Quarantine'],
  ['conflicts', 'Conflicts'],
  ['custody', 'Custody'],
  ['approvals', 'Approvals'],
  ['rollback', 'Rollback'],
  ['sign-off', 'Sign-off'],
];

export function renderProofPackHtml(pack: ProofPack): string {
  const nav = `<nav class="toc">${CONTENTS.map(([id, label]) => `<a href="#${id}">${esc(label)}</a>`).join('')}</nav>`;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<meta name="tern-content-hash" content="${esc(pack.contentHash)}">`,
    `<title>${esc(`Proof pack — ${pack.migration.name} (${pack.migration.id})`)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    headerBlock(pack),
    nav,
    '<main>',
    phasesSection(pack),
    preferencesSection(pack),
    fieldMapSection(pack),
    quarantineSection(pack),
    conflictsSection(pack),
    custodySection(pack),
    approvalsSection(pack),
    rollbackSection(pack),
    signOffSection(pack),
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
