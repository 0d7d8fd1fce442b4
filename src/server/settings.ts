/**
 * The client's `asyncwise` settings (`workspace/configuration`, `workspace/didChangeConfiguration`
 * or `initializationOptions.settings`) as the input of the one settings parser (`parseSettings`),
 * in the shape of VS Code's `asyncwise.*` settings. Editors differ in how they spell nested keys:
 * `{ "python": { "targetVersion": "3.11" } }` and `{ "python.targetVersion": "3.11" }` both work.
 */
import type { ClientSettings } from './protocol';

export function settingsInput(client: ClientSettings): Record<string, unknown> | undefined {
  if (!client || typeof client !== 'object' || Array.isArray(client)) return undefined;
  const get = (dotted: string): unknown => {
    if (Object.prototype.hasOwnProperty.call(client, dotted)) return client[dotted];
    let value: unknown = client;
    for (const part of dotted.split('.')) {
      if (!value || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, part)) return undefined;
      value = (value as Record<string, unknown>)[part];
    }
    return value;
  };
  // Only the keys the extension's schema declares; `parseSettings` fills defaults and rejects bad values.
  return {
    enable: get('enable'),
    python: { enable: get('python.enable'), targetVersion: get('python.targetVersion') },
    typescript: { enable: get('typescript.enable') },
    rules: get('rules'),
    fix: { allowUnsafe: get('fix.allowUnsafe') },
    timeBudget: get('timeBudget'),
  };
}
