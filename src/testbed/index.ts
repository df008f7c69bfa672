// The test bed: outside controllers through a versioned interface, scored beside the built-ins, and
// run in shadow mode on the live site (docs/testbed.md).
export { PROTOCOL_VERSION } from './protocol.ts';
export type { Observation, Action, ControllerModule, ForecastSeries } from './protocol.ts';
export { OBSERVATION_SCHEMA, ACTION_SCHEMA, checkAction, checkObservation } from './schema.ts';
export {
  buildObservation,
  busId,
  districtForecaster,
  persistenceForecaster,
  pointForecaster,
  type ObservationContext,
  type ObservationForecaster,
} from './observation.ts';
export { actionToDispatch, type Clamp } from './action.ts';
export {
  AsyncHost,
  SyncHost,
  permissionFlag,
  networkNamespaceCommand,
  controllerLauncher,
  checkControllerLauncher,
  type Launcher,
  confinedCommand,
  controllerSpec,
  loopbackUrlProblem,
  privateModuleSpec,
  looksLikeController,
  DEFAULT_LIMITS,
  type ControllerLimits,
  type ControllerSpec,
  type Failure,
  type FailureReason,
} from './host.ts';
export { controllerStrategy, type ControllerStrategy, type ControllerRunStats } from './strategy.ts';
export {
  CHALLENGE_SET_VERSION,
  DEFAULT_CHALLENGE_SET,
  QUICK_CHALLENGE_SET,
  type ChallengeSet,
  type ChallengeCase,
} from './challenge.ts';
export { runTestbed, type Scorecard, type Contender, type CaseScore } from './score.ts';
export { renderScorecard, SCORE_COLUMNS } from './report.ts';
