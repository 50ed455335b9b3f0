import { performance } from 'node:perf_hooks';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { generateKeyText, parseKeyRing } from '../../common/keys';
import { PayloadEncryptionCodec } from '../../common/payload-codec';

/**
 * What payload encryption costs a payload: sealing and opening one, at sizes Tern's histories hold (a page's input
 * is a few hundred bytes, a reconciliation's result a few KB), beside the baseline measured in the same run — the
 * SDK's own JSON conversion of the same value, which every payload pays with or without encryption.
 */
export interface CodecBenchFigures {
  sizes: {
    bytes: number;
    payloads: number;
    /** Microseconds per payload. */
    sealUs: number;
    openUs: number;
    /** The JSON conversion (to and from a payload) of the same value. */
    jsonRoundTripUs: number;
    /** Sealing and opening, over the JSON round trip. */
    overheadRatio: number;
    /** Bytes the sealed payload adds (nonce, tag, metadata framing). */
    addedBytes: number;
  }[];
}

function valueOfSize(bytes: number): { records: { id: string; reason: string }[] } {
  const records: { id: string; reason: string }[] = [];
  let size = 20;
  for (let i = 0; size < bytes; i++) {
    const record = { id: `zendesk-comment-${100000 + i}`, reason: 'target_rejected: missing required field' };
    records.push(record);
    size += JSON.stringify(record).length + 1;
  }
  return { records };
}

/** Microseconds per call of `fn` over `n` calls, after a warm-up, the fastest of three rounds. */
function timeUs(n: number, fn: () => void): number {
  for (let i = 0; i < Math.min(n, 200); i++) fn();
  let best = Infinity;
  for (let round = 0; round < 3; round++) {
    const started = performance.now();
    for (let i = 0; i < n; i++) fn();
    best = Math.min(best, ((performance.now() - started) * 1000) / n);
  }
  return Number(best.toFixed(2));
}

export function codecBench(options: { sizes: number[]; say: (line: string) => void }): CodecBenchFigures {
  const codec = new PayloadEncryptionCodec(parseKeyRing(generateKeyText(), 'payload', 'bench', 'none'));
  const sizes = options.sizes.map((bytes) => {
    const value = valueOfSize(bytes);
    const payload: Payload = defaultPayloadConverter.toPayload(value);
    const sealed = codec.seal(payload);
    const payloads = Math.max(200, Math.round(20_000_000 / Math.max(bytes, 1)));
    const sealUs = timeUs(payloads, () => codec.seal(payload));
    const openUs = timeUs(payloads, () => codec.open(sealed));
    const jsonRoundTripUs = timeUs(payloads, () =>
      defaultPayloadConverter.fromPayload(defaultPayloadConverter.toPayload(value)),
    );
    const figures = {
      bytes: payload.data!.length,
      payloads,
      sealUs,
      openUs,
      jsonRoundTripUs,
      overheadRatio: Number(((sealUs + openUs) / jsonRoundTripUs).toFixed(2)),
      addedBytes: sealed.data!.length + metadataBytes(sealed) - payload.data!.length - metadataBytes(payload),
    };
    options.say(
      `${figures.bytes} B: seal ${sealUs} µs, open ${openUs} µs, JSON round trip ${jsonRoundTripUs} µs, +${figures.addedBytes} B`,
    );
    return figures;
  });
  const typical = sizes.find((s) => s.bytes >= 2000) ?? sizes[0]!;
  options.say(
    `encryption adds ${(typical.sealUs + typical.openUs).toFixed(1)} µs and ${typical.addedBytes} B to a ${typical.bytes} B payload (its JSON round trip: ${typical.jsonRoundTripUs} µs)`,
  );
  return { sizes };
}

function metadataBytes(payload: Payload): number {
  return Object.entries(payload.metadata ?? {}).reduce((n, [k, v]) => n + k.length + v.length, 0);
}
