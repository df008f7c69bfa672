export * from './schema.ts';
export {
  loadScenarioFile,
  parseScenario,
  ConfigError,
  formatProblem,
  REFERENCE_SCENARIO_FILE,
} from './load.ts';
export type { ConfigProblem, LoadedScenario } from './load.ts';
export * from './time.ts';
export { koreanHolidayCalendar, dayKind } from './calendar.ts';
export type { HolidayCalendar, DayKind } from './calendar.ts';
