// Starts the bundled sidecar over stdio for the workspace folder, declaring that we show its notifications ourselves.
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import * as vscode from 'vscode';
import {
  type ClientCapabilities,
  type FeatureState,
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  type StaticFeature,
  TransportKind,
} from 'vscode-languageclient/node';
import { CLIENT_CAPABILITY } from './core/wire.js';

export const CLIENT_ID = 'tinytorchMilestones';
const CLIENT_NAME = 'TinyTorch Milestones sidecar';

/** Declares `experimental.milestones.notifications: true`, so the sidecar sends no window/showMessage duplicate. */
const milestonesCapability: StaticFeature = {
  fillClientCapabilities(capabilities: ClientCapabilities): void {
    capabilities.experimental = { ...((capabilities.experimental as object | undefined) ?? {}), ...CLIENT_CAPABILITY };
  },
  initialize(): void {},
  getState(): FeatureState {
    return { kind: 'static' };
  },
  clear(): void {},
};

export function createClient(context: vscode.ExtensionContext, folder: vscode.WorkspaceFolder | undefined): LanguageClient {
  const config = () => vscode.workspace.getConfiguration(CLIENT_ID, folder?.uri);
  const node = config().get<string>('node')?.trim();
  const run = {
    module: context.asAbsolutePath(join('server', 'bin', 'tinytorch-milestones.js')),
    transport: TransportKind.stdio,
    runtime: node || undefined,
    options: { cwd: folder?.uri.fsPath },
  };
  const serverOptions: ServerOptions = { run, debug: run };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [],
    workspaceFolder: folder,
    initializationOptions: () => initializationOptions(config(), folder),
  };
  const client = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
  client.registerFeature(milestonesCapability);
  return client;
}

/** The extension's settings as the sidecar's initializationOptions (docs/protocol.md §3); an empty setting is left to the sidecar. */
export function initializationOptions(config: vscode.WorkspaceConfiguration, folder: vscode.WorkspaceFolder | undefined): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  for (const [key, isPath] of [
    ['progressFile', true],
    ['exports', true],
    ['catalog', false],
    ['python', false],
  ] as const) {
    const value = config.get<string>(key)?.trim();
    if (!value) continue;
    options[key] = isPath || value.includes('/') ? resolvePath(value, folder) : value;
  }
  const timeout = config.get<number>('runTimeoutMs');
  if (typeof timeout === 'number' && timeout > 0) options.runTimeoutMs = Math.round(timeout);
  return options;
}

function resolvePath(value: string, folder: vscode.WorkspaceFolder | undefined): string {
  if (value === '~' || value.startsWith('~/')) return join(homedir(), value.slice(1));
  if (isAbsolute(value) || !folder) return value;
  return join(folder.uri.fsPath, value);
}
