import { AllRoutesFailedError, DownloadError, type GenerateResult, NoRouteError } from '@hybridgen/core';

/** What the words depend on besides the result: whether the app reached its server at start. */
export interface WordsContext {
  readonly serverReachable: boolean;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** "WebGPU" or "WebAssembly": the engine names people know. */
export function engineName(engine: string): string {
  if (engine.startsWith('webgpu')) return 'WebGPU';
  if (engine === 'wasm') return 'WebAssembly';
  return engine;
}

/** Why High Quality was made on this device: no cloud target, or no server to ask. */
function noCloudWhy(context: WordsContext): string {
  return context.serverReachable ? 'no cloud target is configured' : 'the server cannot be reached';
}

/**
 * How the shown image was made, e.g. "Drafted on this device (WebGPU) in 0.4 s" or "Rendered in
 * the cloud (sdxl-a100) in 5.2 s". The time is the image's own; a download is reported apart.
 */
export function resultText(result: GenerateResult, context: WordsContext): string {
  if (result.source === 'cloud') {
    const made = `Rendered in the cloud (${result.engine}) in ${seconds(result.timings.total ?? 0)}`;
    return result.fallback ? `${made}: this device could not (${cleanMessage(result.fallback.reason)})` : made;
  }
  const took = seconds(result.timings.engine ?? result.timings.total ?? 0);
  const where = engineName(result.engine);
  if (result.settings === 'hq') {
    const made = `Rendered on this device (${where}) at High Quality settings in ${took}`;
    return result.routeCode === 'no-cloud-target' ? `${made}: ${noCloudWhy(context)}` : made;
  }
  return `Drafted on this device (${where}) in ${took}`;
}

/** How a kept draft was made: the same latents through the full decoder, e.g. "Kept: decoded in full on this device (WebGPU) in 0.9 s". */
export function keptText(result: GenerateResult): string {
  return `Kept: decoded in full on this device (${engineName(result.engine)}) in ${seconds(result.timings.engine ?? result.timings.total ?? 0)}`;
}

/** The result's short label under the image, e.g. "On this device · WebGPU" or "Cloud · sdxl-a100". */
export function resultLabel(result: GenerateResult): string {
  return result.source === 'cloud' ? `Cloud · ${result.engine}` : `On this device · ${engineName(result.engine)}`;
}

const URL_PATTERN = /\s*(?:\bfrom\s+)?\b(?:https?|blob|file):\/\/\S+/gi;

/**
 * A message fit to show: no URLs (they leak internal addresses and say nothing to people), no
 * "Name: " or "folder/file: " prefixes, and no part said twice ("x (x)" becomes "x").
 */
export function cleanMessage(message: string): string {
  let text = message
    .replace(URL_PATTERN, '')
    .replace(/^(?:[A-Z][A-Za-z]*Error|DOMException):\s*/, '')
    .replace(/^[\w.-]+(?:\/[\w.-]+)+:\s+/, '');
  const repeated = /^(.+?)\s*\((.+)\)$/.exec(text);
  if (repeated?.[1] && repeated[2] && repeated[1].trim() === repeated[2].trim()) text = repeated[1];
  const parts = text.split(/:\s+/);
  const unique = parts.filter((p, i) => parts.indexOf(p) === i);
  return unique.join(': ').trim();
}

/** Words for a failed generation: where it failed and why, each once, without URLs. */
export function errorText(error: unknown, context: WordsContext): string {
  if (error instanceof NoRouteError && error.code === 'no-cloud-target') {
    return context.serverReachable
      ? 'High Quality needs a cloud target, and none is configured'
      : 'The server cannot be reached, and this device cannot render it';
  }
  if (error instanceof AllRoutesFailedError) {
    const lines = error.attempts.map((a) => `${a.source === 'local' ? 'On this device' : 'In the cloud'}: ${cleanMessage(describe(a.error))}`);
    return [...new Set(lines)].join('; ');
  }
  return cleanMessage(describe(error));
}

function describe(error: unknown): string {
  if (error instanceof DownloadError && error.unreachable) return 'the model server cannot be reached';
  return error instanceof Error ? error.message : String(error);
}
