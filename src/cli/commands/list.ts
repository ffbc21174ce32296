import type { Command } from 'commander';
import '../../components';
import { UserError } from '../../core/errors';
import { closest } from '../../core/closest';
import { REGISTRIES } from '../../registry/registries';
import { BUILTIN_SCOPE, type Registry } from '../../registry/registry';
import { loadCliPlugins } from '../plugins';
import { globalOptions } from '../global-options';
import { formatTable } from '../table';

interface ListOptions {
  json?: boolean;
}

export interface ListedComponent {
  /** What a config's `type` says: `Name` for built-ins, `scope.Name` for plugins. */
  name: string;
  scope: string;
  aliases: string[];
  summary: string;
}

export function register(program: Command): void {
  program
    .command('list')
    .description('list the registered components of each kind (built-ins and loaded plugins)')
    .argument('[kind]', `one kind: ${Object.keys(REGISTRIES).join(', ')}`)
    .option('--json', 'print JSON: {kind: [{name, scope, aliases, summary}]}')
    .addHelpText(
      'after',
      `
Plugin components are listed by their scoped name (scope.Name); the scope is the plugin file's name.

Examples:
  $ hrdet list
  $ hrdet list backbones
  $ hrdet list backbones --plugin examples/custom-backbone/tiny-convnet.ts
  $ hrdet list --json`,
    )
    .action(async (kind: string | undefined, opts: ListOptions, cmd: Command) => {
      await loadCliPlugins(globalOptions(cmd));
      const kinds = kind === undefined ? Object.keys(REGISTRIES) : [resolveKind(kind)];
      const listing = Object.fromEntries(kinds.map((k) => [k, listRegistry(REGISTRIES[k])]));
      process.stdout.write(opts.json ? `${JSON.stringify(listing, null, 2)}\n` : formatListing(listing));
    });
}

/** Accepts the plural (`backbones`), the singular (`backbone`) and the registry's own kind (`task util`). */
export function resolveKind(kind: string): string {
  const want = kind.toLowerCase().replace(/[\s-]/g, '_');
  for (const [key, reg] of Object.entries(REGISTRIES)) {
    if ([key, key.replace(/s$/, ''), reg.kind.replace(/\s/g, '_')].includes(want)) return key;
  }
  const near = closest(kind, Object.keys(REGISTRIES));
  const hint = near.length ? `did you mean '${near[0]}'? ` : '';
  throw new UserError(`unknown component kind '${kind}': ${hint}expected one of ${Object.keys(REGISTRIES).join(', ')}`);
}

export function listRegistry(reg: Registry<unknown>): ListedComponent[] {
  return reg
    .list()
    .map((spec) => ({ name: reg.displayName(spec), scope: spec.scope, aliases: [...spec.aliases], summary: spec.summary ?? '' }))
    // built-ins first, then plugin components by scope
    .sort((a, b) => Number(a.scope !== BUILTIN_SCOPE) - Number(b.scope !== BUILTIN_SCOPE) || a.name.localeCompare(b.name, 'en', { sensitivity: 'base' }));
}

function formatListing(listing: Record<string, ListedComponent[]>): string {
  const blocks = Object.entries(listing).map(([kind, items]) => {
    if (items.length === 0) return `${kind} (0)\n  (none registered)\n`;
    const rows = items.map((c) => ['  ' + c.name, c.aliases.length ? `(alias ${c.aliases.join(', ')}) ${c.summary}`.trim() : c.summary]);
    return `${kind} (${items.length})\n${formatTable(null, rows)}\n`;
  });
  return blocks.join('\n');
}
