/**
 * `qa-hf presets [name]` — the presets shipped with the tool (presets/*.yaml):
 * without a name, one line each (name and description); with one, its YAML, ready
 * to copy into a config file and change.
 *
 *   $ qa-hf presets
 *   qa-internal  internal QA pipeline records (persona.roll, …) to flat HF rows
 *   …
 *   $ qa-hf presets squad > my-mapping.yaml
 */
import { QaHfError, got } from '../lib/errors';
import { builtinPresets } from '../lib/io/presets';

export interface PresetsArgs {
  name?: string;
}

export function presetsCommand(args: PresetsArgs, write: (text: string) => void = (text) => process.stdout.write(text)): void {
  const presets = builtinPresets();
  if (args.name !== undefined) {
    const preset = presets.find((candidate) => candidate.name === args.name);
    if (preset === undefined) throw new QaHfError('ERR_USAGE', `no preset of that name, expected one of ${presets.map((p) => p.name).join(', ')}, ${got(args.name)}`);
    write(preset.yaml);
    return;
  }
  const width = Math.max(...presets.map((preset) => preset.name.length));
  write(presets.map((preset) => `${preset.name.padEnd(width)}  ${preset.description}\n`).join(''));
}
