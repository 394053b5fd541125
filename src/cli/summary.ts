import { buildLoss, buildModel } from './build.js';
import type { TrainConfig } from './config.js';
import { prepareData } from './data.js';
import { isTableConfig } from './table-data.js';

/** Runs `kiln summary`: builds the config's model on its data's sample shape and prints the table. */
export async function summaryCommand(config: TrainConfig, log: (s: string) => void): Promise<void> {
  const { classification } = buildLoss(config.loss);
  // Tables and series infer their feature count from every row: read them whole.
  const whole = isTableConfig(config) || config.task === 'forecast';
  const data = await prepareData(
    whole ? config : { ...config, data: { ...config.data, limit: 2, testLimit: 2 } },
    classification && config.data.format !== 'diabetes',
  );
  const model = buildModel(config.model, data.sampleShape);
  const summary = model.summary([1, ...data.sampleShape]);
  log(String(summary));
}
