// Training: compile, fit, evaluate, predict, callbacks, checkpoints and data splitting.
import './builtins';
import './model-methods';

export { compile } from './compile';
export type { CompileOptions } from './compile';
export { fit, evaluate, predict, AbortError } from './fit';
export type { FitOptions, EvaluateOptions, RunOptions, History } from './fit';
export {
  Callback, EarlyStopping, LearningRateScheduler, ReduceLROnPlateau, LambdaCallback,
} from './callbacks';
export type {
  CallbackLike, CallbackState, TrainingContext, FitParams, EarlyStoppingOptions, ReduceLROnPlateauOptions, ScheduleFn, EpochScheduler,
} from './callbacks';
export type { ClipOptions } from './protocol';
export { ModelCheckpoint, saveCheckpoint, readCheckpoint, restoreCheckpoint } from './checkpoint';
export type { Checkpoint, ModelCheckpointOptions, TrainingState } from './checkpoint';
export { ProgressBar } from './progress';
export type { ProgressOptions, ProgressStream } from './progress';
export { splitData } from './split';
export type { SplitOptions, Split } from './split';
export type { Dataset, Targets } from './data';
export { registerModelFactory, registerOptimizer, registerLoss, registerMetric } from './registry';
export type { TrainableModel, Optimizer, Loss, Metric, Logs, ForwardOptions } from './types';

