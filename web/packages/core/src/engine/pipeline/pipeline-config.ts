/** The engine's check of a model's `pipeline` block: the manifest's own parser, rerun on a model that crossed to the worker. */

import { isPipeline, parsePipeline, type SdTurboPipeline } from '../../models/pipeline.js';
import type { ManifestIssue } from '../../models/validate.js';
import { ModelFormatError } from '../errors.js';

/** Checks `pipeline` and returns it typed; throws {@link ModelFormatError} naming the bad field. */
export function readPipelineConfig(pipeline: unknown, modelId: string): SdTurboPipeline {
  const issues: ManifestIssue[] = [];
  const config = parsePipeline(pipeline, issues);
  if (!isPipeline(config, 'sd-turbo')) {
    const kind = JSON.stringify(config.kind);
    throw new ModelFormatError(`${modelId}: manifest pipeline.kind must be "sd-turbo" (the only pipeline this engine runs), got ${kind}`);
  }
  const [issue] = issues;
  if (issue) throw new ModelFormatError(`${modelId}: manifest ${issue.field} ${issue.problem}`);
  return config;
}
