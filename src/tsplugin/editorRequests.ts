/**
 * The plugin's own tsserver requests (`_asyncwise.findings`, `_asyncwise.fixAll`), through which VS
 * Code's extension shows the TS/JS findings itself, with the rule code and documentation link a
 * tsserver diagnostic cannot carry (codes.ts says why). Registered once per tsserver session; each
 * request finds the file's project, and the project's decorated host, the way tsserver would.
 */
import type * as ts from 'typescript';
import { fixAllTypeScript } from '../typescript/analyze';
import { FINDINGS_REQUEST, FIX_ALL_REQUEST, type FindingsBody, type FixAllBody } from './codes';
import { analysisOf, describe, type PluginHost } from './languageService';

const registered = new WeakSet<object>();
/**
 * Every decorated project's host, across plugin instances: tsserver calls the plugin's factory once
 * per project, so the instance whose project registered the handlers first does not know the
 * projects decorated by later instances. The handlers look a file's project up here.
 */
const decorated = new Set<PluginHost>();

/** The file argument of a request, as tsserver names files; throws (an error response) without one. */
function fileOf(request: ts.server.protocol.Request): string {
  const file = (request.arguments as { file?: unknown } | undefined)?.file;
  if (typeof file !== 'string' || file === '') throw new Error(`${request.command}: expected arguments { file: string }`);
  return file;
}

export function registerEditorRequests(tsModule: typeof ts, info: ts.server.PluginCreateInfo, host: PluginHost, log: (message: string) => void): void {
  decorated.add(host);
  const session = info.session;
  // Outside tsserver (a language service host of another tool) there is no session to answer on.
  if (!session || registered.has(session)) return;
  registered.add(session);
  const projectService = info.project.projectService;

  /** The host of the project tsserver answers the file's other requests from. */
  const hostFor = (file: string): PluginHost => {
    const fileName = tsModule.server.toNormalizedPath(file);
    const project = projectService.getDefaultProjectForFile(fileName, true);
    // Closed projects' hosts go here, so the registry does not keep them alive.
    for (const h of decorated) if (h.info.project.isClosed()) decorated.delete(h);
    const host = [...decorated].find((h) => h.info.project === project);
    if (!host) throw new Error(`no asyncwise-decorated project has ${file}`);
    return host;
  };

  const answer = <T extends object>(request: ts.server.protocol.Request, body: () => T): ts.server.HandlerResponse => {
    try {
      return { response: body(), responseRequired: true };
    } catch (error) {
      log(`${request.command} failed: ${describe(error)}`);
      throw error;
    }
  };

  session.addProtocolHandler(FINDINGS_REQUEST, (request) =>
    answer<FindingsBody>(request, () => {
      const file = fileOf(request);
      const analysis = analysisOf(hostFor(file), tsModule.server.toNormalizedPath(file));
      return { findings: analysis?.findings ?? [] };
    }),
  );

  session.addProtocolHandler(FIX_ALL_REQUEST, (request) =>
    answer<FixAllBody>(request, () => {
      const file = fileOf(request);
      const host = hostFor(file);
      const analysis = analysisOf(host, tsModule.server.toNormalizedPath(file));
      if (!analysis) return { applied: 0, text: '' };
      return fixAllTypeScript(tsModule, analysis.sourceFile, analysis.findings, host.settings.fix.allowUnsafe);
    }),
  );
}
