// TensorBoard export read back by an independent parser: every record's length and data CRC32C
// (computed bit by bit here, not with the writer's table) and every event's step, tag, value
// and wall time, against the metrics in a real SQLite store.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { exportRuns } from '../../src/track/export.js';
import { openStore } from '../../src/track/open.js';
import { crc32c, maskedCrc32c } from '../../src/track/tfevents.js';

const dir = mkdtempSync(join(tmpdir(), 'kiln-tfevents-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** CRC32C bit by bit (the slow, obvious way), and TFRecord's mask. */
function crcSlow(bytes: Uint8Array): number {
  let c = ~0 >>> 0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1;
  }
  return ~c >>> 0;
}
const mask = (c: number) => (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0;

interface Field {
  no: number;
  wire: number;
  value: number | Uint8Array;
}

/** Decodes one protobuf message into its fields (varint, 64-bit, length-delimited, 32-bit). */
function fields(buf: Uint8Array): Field[] {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: Field[] = [];
  let i = 0;
  const varint = () => {
    let v = 0;
    let scale = 1;
    for (;;) {
      const b = buf[i++]!;
      v += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) return v;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const no = Math.floor(key / 8);
    const wire = key % 8;
    if (wire === 0) out.push({ no, wire, value: varint() });
    else if (wire === 1) {
      out.push({ no, wire, value: view.getFloat64(i, true) });
      i += 8;
    } else if (wire === 2) {
      const n = varint();
      out.push({ no, wire, value: buf.subarray(i, i + n) });
      i += n;
    } else if (wire === 5) {
      out.push({ no, wire, value: view.getFloat32(i, true) });
      i += 4;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return out;
}

interface Event {
  wallTime: number;
  step: number;
  fileVersion?: string;
  scalars: { tag: string; value: number }[];
}

/** Reads a tfevents file, checking both CRCs of every record. */
function readEvents(path: string): Event[] {
  const bytes = new Uint8Array(readFileSync(path));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const events: Event[] = [];
  let at = 0;
  while (at < bytes.length) {
    const length = Number(view.getBigUint64(at, true));
    assert.equal(
      view.getUint32(at + 8, true),
      mask(crcSlow(bytes.subarray(at, at + 8))),
      `length CRC at ${at}`,
    );
    const data = bytes.subarray(at + 12, at + 12 + length);
    assert.equal(view.getUint32(at + 12 + length, true), mask(crcSlow(data)), `data CRC at ${at}`);
    at += 12 + length + 4;
    const event: Event = { wallTime: Number.NaN, step: 0, scalars: [] };
    for (const f of fields(data)) {
      if (f.no === 1) event.wallTime = f.value as number;
      else if (f.no === 2) event.step = f.value as number;
      else if (f.no === 3) event.fileVersion = new TextDecoder().decode(f.value as Uint8Array);
      else if (f.no === 5)
        for (const v of fields(f.value as Uint8Array)) {
          const [tag, value] = fields(v.value as Uint8Array);
          assert.equal(tag!.no, 1);
          assert.equal(value!.no, 2);
          assert.equal(value!.wire, 5, 'simple_value is a float');
          event.scalars.push({
            tag: new TextDecoder().decode(tag!.value as Uint8Array),
            value: value!.value as number,
          });
        }
    }
    events.push(event);
  }
  assert.equal(at, bytes.length, 'no trailing bytes');
  return events;
}

describe('TensorBoard export', () => {
  it('computes CRC32C and its mask as TFRecord does', () => {
    const check = new TextEncoder().encode('123456789');
    assert.equal(crc32c(check), 0xe3069283); // the standard check value of CRC-32C
    assert.equal(crc32c(new Uint8Array(32)), 0x8a9136aa); // RFC 3720 test vector: 32 zero bytes
    const random = Uint8Array.from({ length: 1000 }, (_, i) => (i * 7919) % 251);
    assert.equal(crc32c(random), crcSlow(random));
    assert.equal(maskedCrc32c(random), mask(crcSlow(random)));
  });

  it('writes event files whose every record and scalar reads back', async () => {
    const store = await openStore(join(dir, 'kiln.db'));
    try {
      const run = await store.createRun({ experiment: 'exp/with slash', name: 'run one' });
      const points = [];
      for (let step = 0; step < 300; step++) {
        points.push({
          key: 'loss',
          step,
          value: 1 / (step + 1),
          epoch: Math.floor(step / 100),
          time: 1.7e12 + step * 10,
        });
        if (step % 100 === 99)
          points.push({
            key: 'val_accuracy',
            step,
            value: 0.5 + step / 1000,
            epoch: Math.floor(step / 100),
            time: 1.7e12 + step * 10 + 5,
          });
      }
      points.push({ key: 'loss', step: 2 ** 40, value: -3.25, epoch: null, time: 1.8e12 });
      await store.logMetrics(run.id, points);
      const [file] = await exportRuns(store, await store.listRuns(), {
        format: 'tensorboard',
        out: join(dir, 'tb'),
      });
      assert.match(
        file!,
        /tb\/exp_with_slash\/run_one-[0-9a-f]{8}\/events\.out\.tfevents\.\d+\.\S+$/,
      );
      const events = readEvents(file!);
      assert.equal(events[0]!.fileVersion, 'brain.Event:2');
      assert.equal(events[0]!.scalars.length, 0);
      const got = events
        .slice(1)
        .flatMap((e) => e.scalars.map((s) => ({ ...s, step: e.step, wallTime: e.wallTime })));
      assert.equal(got.length, points.length);
      assert.equal(events.length - 1, 301, 'one event per step');
      for (const p of points) {
        const found = got.find((g) => g.step === p.step && g.tag === p.key);
        assert.ok(found, `${p.key} at step ${p.step}`);
        assert.equal(found.value, Math.fround(p.value));
      }
      const last = events.at(-1)!;
      assert.deepEqual(
        [last.step, last.wallTime, last.scalars],
        [2 ** 40, 1.8e9, [{ tag: 'loss', value: -3.25 }]],
      );
      const step99 = events.find((e) => e.step === 99)!;
      assert.equal(step99.wallTime, (1.7e12 + 995) / 1000);
    } finally {
      await store.close();
    }
  });
});
