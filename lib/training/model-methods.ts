// model.compile / fit / evaluate / predict: thin methods on the graph module's Model that call
// the training functions (attached here so that the Model class does not import the trainer).
import { Model } from '../model';
import type { Tensor } from '../tensor';
import { compile, type CompileOptions } from './compile';
import type { Targets } from './data';
import { evaluate, fit, predict, type EvaluateOptions, type FitOptions, type History, type RunOptions } from './fit';
import type { Logs } from './types';

declare module '../model' {
  interface Model {
    /** Binds an optimizer, a loss, metrics and a model-wide regularizer (see training.compile). */
    compile(options: CompileOptions): void;
    /** Trains in a worker thread (or in process); resolves with the history (see training.fit). */
    fit(x: Tensor, y: Targets, options?: FitOptions): Promise<History>;
    evaluate(x: Tensor, y: Targets, options?: EvaluateOptions): Promise<Logs>;
    /** Outputs for every row of x, in batches, off the main thread by default. */
    predict(x: Tensor, options?: RunOptions): Promise<Tensor>;
  }
}

Model.prototype.compile = function (this: Model, options: CompileOptions): void {
  compile(this, options);
};

Model.prototype.fit = function (this: Model, x: Tensor, y: Targets, options?: FitOptions) {
  return fit(this, x, y, options);
};

Model.prototype.evaluate = function (this: Model, x: Tensor, y: Targets, options?: EvaluateOptions) {
  return evaluate(this, x, y, options);
};

Model.prototype.predict = function (this: Model, x: Tensor, options?: RunOptions) {
  return predict(this, x, options);
};
