import { Command } from 'commander';
import { ConfigError, loadScenarioFile } from '../model/load.ts';

export function validateCommand(): Command {
  // Errors are thrown to main.ts (exit code 2 for a bad file) rather than exiting here.
  return new Command('validate')
    .showHelpAfterError()
    .exitOverride()
    .description('Check a district file and list every problem with its path and line.')
    .argument('<file>', 'district file (YAML)')
    .action(async (file: string) => {
      const { scenario, file: abs } = loadScenarioFile(file);
      // Drivers load protocol stacks; only validate needs them.
      const { defaultRegistry } = await import('../drivers/index.ts');
      const deviceProblems = defaultRegistry().validateDeviceConfig(scenario.devices);
      if (deviceProblems.length) throw new ConfigError(abs, deviceProblems);
      const assets = scenario.sites.reduce((n, s) => n + s.assets.length, 0);
      process.stdout.write(`${file}: ok (${scenario.sites.length} sites, ${assets} assets)\n`);
    });
}
