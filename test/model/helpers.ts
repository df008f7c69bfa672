import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { ConfigError, parseScenario, REFERENCE_SCENARIO_FILE } from '../../src/model/index.ts';

/** The reference district file's text, for tests that edit it into a bad one. */
export const reference = readFileSync(REFERENCE_SCENARIO_FILE, 'utf8');

/** The problems a ConfigError lists for `text`; fails the test when the text is accepted. */
export function problemsOf(text: string) {
  try {
    parseScenario(text, 'test.yaml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected the scenario to be refused');
}
