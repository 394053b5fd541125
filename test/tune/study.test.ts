// Study and Trial behaviour: define-by-run suggestions, failed and pruned trials, enqueued trials,
// conditional spaces, best-trial bookkeeping and option checking.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as k from '../../src/index.js';

const { tune } = k;

describe('k.tune study', () => {
  it('records params, values, states and durations of every trial', async () => {
    const study = await tune.createStudy({ sampler: new tune.RandomSampler({ seed: 3 }) });
    await study.optimize(
      (t) => {
        const x = t.suggestFloat('x', -2, 2);
        const n = t.suggestInt('n', 1, 5);
        const c = t.suggestCategorical('c', ['a', 'b', true, null]);
        assert.ok(x >= -2 && x <= 2);
        assert.ok(Number.isInteger(n) && n >= 1 && n <= 5);
        assert.ok(['a', 'b', true, null].includes(c));
        // Asking again returns the same value.
        assert.equal(t.suggestFloat('x', -2, 2), x);
        return x * x + n;
      },
      { nTrials: 12 },
    );
    assert.equal(study.trials.length, 12);
    for (const [i, t] of study.trials.entries()) {
      assert.equal(t.number, i);
      assert.equal(t.state, 'complete');
      assert.equal(t.value, (t.params.x as number) ** 2 + (t.params.n as number));
      assert.ok((tune.trialDuration(t) as number) >= 0);
    }
    const best = Math.min(...study.trials.map((t) => t.value as number));
    assert.equal(study.bestValue, best);
    assert.deepEqual(study.bestParams, study.trials.find((t) => t.value === best)!.params);
  });

  it('maximizes when asked', async () => {
    const study = await tune.createStudy({
      direction: 'maximize',
      sampler: new tune.RandomSampler({ seed: 1 }),
    });
    await study.optimize((t) => t.suggestFloat('x', 0, 1), { nTrials: 10 });
    assert.equal(study.bestValue, Math.max(...study.trials.map((t) => t.value as number)));
  });

  it('records a throwing objective as failed with its error and goes on', async () => {
    const study = await tune.createStudy({ sampler: new tune.RandomSampler({ seed: 0 }) });
    await study.optimize(
      (t) => {
        if (t.number % 2 === 1) throw new RangeError(`bad trial ${t.number}`);
        if (t.number === 4) return Number.NaN;
        return t.suggestFloat('x', 0, 1);
      },
      { nTrials: 6 },
    );
    const states = study.trials.map((t) => t.state);
    assert.deepEqual(states, ['complete', 'failed', 'complete', 'failed', 'failed', 'failed']);
    assert.equal(study.trials[1]!.error, 'RangeError: bad trial 1');
    assert.match(study.trials[4].error!, /NaN/);
    assert.ok(study.trials[2].datetimeComplete! >= study.trials[2].datetimeStart!);
  });

  it('records pruned trials with their last reported value', async () => {
    const study = await tune.createStudy({ sampler: new tune.RandomSampler({ seed: 0 }) });
    await study.optimize(
      (t) => {
        t.report(5, 0);
        t.report(3, 1);
        t.report(9, 1); // a step reported twice keeps its first value
        throw new tune.TrialPruned();
      },
      { nTrials: 1 },
    );
    const t = study.trials[0]!;
    assert.equal(t.state, 'pruned');
    assert.equal(t.value, 3);
    assert.deepEqual(
      [...t.intermediateValues],
      [
        [0, 5],
        [1, 3],
      ],
    );
    assert.throws(() => study.bestTrial, /no trial has completed/);
  });

  it('runs enqueued trials first with their fixed values', async () => {
    const study = await tune.createStudy({ sampler: new tune.RandomSampler({ seed: 0 }) });
    await study.enqueueTrial({ x: 0.25, kind: 'b' });
    await study.enqueueTrial({ x: 0.75 });
    await study.optimize(
      (t) => t.suggestFloat('x', 0, 1) + (t.suggestCategorical('kind', ['a', 'b']) === 'a' ? 0 : 1),
      { nTrials: 3 },
    );
    assert.deepEqual(study.trials[0]!.params, { x: 0.25, kind: 'b' });
    assert.equal(study.trials[1]!.params.x, 0.75);
    assert.ok(['a', 'b'].includes(study.trials[1]!.params.kind as string));
    await study.enqueueTrial({ x: 2 });
    await study.optimize((t) => t.suggestFloat('x', 0, 1), { nTrials: 1 });
    assert.equal(study.trials[3]!.state, 'failed');
    assert.match(study.trials[3].error!, /enqueued value 2 of 'x' is outside float\(0, 1\)/);
  });

  it('handles conditional spaces: a parameter exists only on its branch', async () => {
    for (const sampler of [
      new tune.TPESampler({ seed: 5, nStartupTrials: 5 }),
      new tune.TPESampler({ seed: 5, nStartupTrials: 5, multivariate: true }),
    ]) {
      const study = await tune.createStudy({ sampler });
      await study.optimize(
        (t) => {
          const model = t.suggestCategorical('model', ['linear', 'tree']);
          if (model === 'linear')
            return (t.suggestFloat('alpha', 1e-3, 1, { log: true }) - 0.01) ** 2;
          return (t.suggestInt('depth', 1, 10) - 7) ** 2 / 100 + 0.05;
        },
        { nTrials: 40 },
      );
      for (const t of study.trials) {
        assert.equal(t.state, 'complete');
        const keys = Object.keys(t.params).sort();
        assert.deepEqual(
          keys,
          t.params.model === 'linear' ? ['alpha', 'model'] : ['depth', 'model'],
        );
      }
      assert.equal(study.bestParams.model, 'linear');
    }
  });

  it('snaps stepped and log ranges', async () => {
    const study = await tune.createStudy({
      sampler: new tune.TPESampler({ seed: 2, nStartupTrials: 3 }),
    });
    await study.optimize(
      (t) => {
        const d = t.suggestFloat('d', 0, 0.5, { step: 0.1 });
        const u = t.suggestInt('u', 16, 512, { log: true });
        const s = t.suggestInt('s', 2, 20, { step: 3 });
        assert.ok(Math.abs(d * 10 - Math.round(d * 10)) < 1e-9 && d >= 0 && d <= 0.5, `d=${d}`);
        assert.ok(Number.isInteger(u) && u >= 16 && u <= 512);
        assert.ok((s - 2) % 3 === 0 && s <= 20, `s=${s}`);
        return d + u / 512 + s / 20;
      },
      { nTrials: 25 },
    );
  });

  it('rejects bad arguments with messages naming them', async () => {
    await assert.rejects(tune.createStudy({ direction: 'up' as 'minimize' }), /direction must be/);
    await assert.rejects(tune.createStudy({ nTrials: 3 } as never), /unknown option 'nTrials'/);
    const store = new tune.InMemoryStorage();
    await tune.createStudy({ name: 's', store });
    await assert.rejects(tune.createStudy({ name: 's', store }), /already exists/);
    const again = await tune.createStudy({ name: 's', store, loadIfExists: true });
    assert.equal(again.name, 's');
    await assert.rejects(tune.loadStudy({ name: 'nope', store }), /no study named 'nope'/);
    assert.throws(() => new tune.TPESampler({ seeds: 1 } as never), /unknown option 'seeds'/);
    const study = await tune.createStudy({ sampler: new tune.RandomSampler({ seed: 0 }) });
    await assert.rejects(
      study.optimize(() => 1, { trials: 3 } as never),
      /unknown option 'trials'/,
    );
    await study.optimize(
      (t) => {
        t.suggestFloat('lr', 0, 1, { log: true });
        return 0;
      },
      { nTrials: 1 },
    );
    assert.match(study.trials[0].error!, /log scale needs low > 0/);
  });

  it('reopens a study from a shared storage and continues numbering', async () => {
    const store = new tune.InMemoryStorage();
    const a = await tune.createStudy({
      name: 'shared',
      store,
      sampler: new tune.RandomSampler({ seed: 0 }),
    });
    await a.optimize((t) => t.suggestFloat('x', 0, 1), { nTrials: 3 });
    const b = await tune.loadStudy({
      name: 'shared',
      store,
      sampler: new tune.RandomSampler({ seed: 1 }),
    });
    await b.optimize((t) => t.suggestFloat('x', 0, 1), { nTrials: 2 });
    assert.deepEqual(
      b.trials.map((t) => t.number),
      [0, 1, 2, 3, 4],
    );
  });

  it('stops on timeout, on study.stop(), and calls callbacks', async () => {
    const study = await tune.createStudy({ sampler: new tune.RandomSampler({ seed: 0 }) });
    const seen: number[] = [];
    await study.optimize(() => 1, {
      callbacks: [
        (s, t) => {
          seen.push(t.number);
          if (t.number === 4) s.stop();
        },
      ],
    });
    assert.deepEqual(seen, [0, 1, 2, 3, 4]);
    const t0 = Date.now();
    await study.optimize(() => new Promise<number>((r) => setTimeout(() => r(1), 20)), {
      timeout: 0.1,
    });
    assert.ok(Date.now() - t0 < 1000);
    assert.ok(study.trials.length > 5);
  });

  it('runs concurrent trials in one thread with nJobs and a function objective', async () => {
    const study = await tune.createStudy({
      sampler: new tune.TPESampler({ seed: 0, constantLiar: true }),
    });
    let running = 0;
    let peak = 0;
    await study.optimize(
      async (t) => {
        running++;
        peak = Math.max(peak, running);
        const x = t.suggestFloat('x', -1, 1);
        await new Promise((r) => setTimeout(r, 2));
        running--;
        return x * x;
      },
      { nTrials: 16, nJobs: 4 },
    );
    assert.equal(peak, 4);
    assert.equal(study.getTrials(['complete']).length, 16);
    assert.deepEqual(
      study.trials.map((t) => t.number),
      Array.from({ length: 16 }, (_, i) => i),
    );
  });
});
