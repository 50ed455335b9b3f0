import type { TargetExtras } from '../extras';

/** What Tern's extras know of a thread: its first imported message, and its conversation once a read-back learnt it. */
export interface KnownThread {
  targetId: string | null;
  detail: string | null;
}

/**
 * The threads one page of messages imports into: what Tern's extras knew of them before the page (one read), and
 * the first message each thread they did not know got (one write when the page is done). Before, each message
 * read its thread and wrote it back, two statements a message: the largest share of the worker's database work on
 * the Zendesk → Front path.
 *
 * A thread's messages are written one after another within the page (one lane), so the first message the page
 * imports into a thread is the first it records. A page stopped part-way saves what it imported (`FrontRecords.write`
 * closes the page when a write fails too); a page that crashed before saving left its records pending in the ledger, and their import is
 * repeated (Front keeps one message per external_id), which records the thread then.
 */
export class PageThreads {
  private readonly imports = new Map<string, string>();

  private constructor(
    private readonly extras: TargetExtras,
    private readonly known: ReadonlyMap<string, KnownThread>,
  ) {}

  static async read(extras: TargetExtras, refs: readonly string[]): Promise<PageThreads> {
    return new PageThreads(extras, await extras.get('thread', refs));
  }

  /** The thread as the extras had it before the page (absent: none, or a rollback removed it). */
  before(ref: string): KnownThread | undefined {
    return this.known.get(ref);
  }

  /** A message was imported into the thread: the first one is the thread's, unless the extras already had one. */
  imported(ref: string, uid: string): void {
    if (this.known.get(ref)?.targetId || this.imports.has(ref)) return;
    this.imports.set(ref, uid);
  }

  /** Records the threads the page started, in one statement. */
  async save(): Promise<void> {
    await this.extras.putMany(
      'thread',
      [...this.imports].map(([key, targetId]) => ({ key, targetId })),
    );
    this.imports.clear();
  }
}
