// Transfer learning: reuse a trained model, whole or up to a layer, as a feature extractor.
//
//   const base = featureExtractor(trained, 'c5')   // input .. c5, SAME layers and weights, frozen
//   const features = await base.predict(images)    // the whole data set, in batches
//   const head = sequential([...], {inputShape: base.outputShape}); head.fit(features, labels)
//   const net = attachHead(base, head)              // images -> base -> head, one model
//   unfreeze(net, {from: 'c5'})                     // fine-tune the top of the base too,
//   new Adam(lrGroups(net, {from: 'c5', to: 'c5', lr: 1e-4}, 1e-3)) // smaller lr for c5
//
// Like Keras, an extractor shares its layers with the model it comes from: training one trains
// the other (use cloneModel first to keep the original). Frozen layers (trainable = false) still
// pass gradients through to the layers below, but optimizers leave their parameters alone; a
// frozen BatchNorm2D normalises with its running statistics and leaves them unchanged.
import { Model } from './model';
import type { Parameter } from './parameter';
import type { SymbolicTensor } from './symbolic-tensor';
import { layerFromConfig, type Layer } from './layers';

function layerIndex(model: Model, name: string, what: string): number {
  const i = model.layers.findIndex((l) => l.name === name);
  if (i < 0) throw new RangeError(`${what}: model '${model.name}' has no layer '${String(name).slice(0, 100)}'; layers: ${model.layers.map((l) => l.name).join(', ')}`);
  return i;
}

/**
 * The layers of `model` in topological order from `from` to `to` (both included; default the
 * first and last layer). In a branching graph "up to X" means every layer ordered before X.
 */
export function layerRange(model: Model, { from, to }: { from?: string; to?: string } = {}): Layer[] {
  const start = from === undefined ? 0 : layerIndex(model, from, 'layerRange from');
  const end = to === undefined ? model.layers.length - 1 : layerIndex(model, to, 'layerRange to');
  if (start > end) throw new RangeError(`layerRange: layer '${from}' comes after '${to}' in model '${model.name}'`);
  return model.layers.slice(start, end + 1);
}

/** Freezes the layers up to `upTo` (included; default all): their parameters get trainable = false. */
export function freeze(model: Model, { upTo }: { upTo?: string } = {}): Model {
  for (const layer of layerRange(model, { to: upTo })) layer.trainable = false;
  return model;
}

/** Makes the layers from `from` (included; default all) to the output trainable again. */
export function unfreeze(model: Model, { from }: { from?: string } = {}): Model {
  for (const layer of layerRange(model, { from })) layer.trainable = true;
  return model;
}

/** Parameters of the layers in a range (see layerRange), e.g. for an optimizer group. */
export function parametersOf(model: Model, range: { from?: string; to?: string } = {}): Parameter[] {
  return layerRange(model, range).flatMap((l) => l.parameters());
}

/**
 * Two optimizer parameter groups: the layers from `from` up to (not including) the first layer
 * after `to` with learning rate `lr`, everything else with `otherLr`. Frozen parameters are left
 * in (optimizers skip them), so unfreezing later needs no new optimizer.
 */
export function lrGroups(model: Model, { from, to, lr }: { from?: string; to?: string; lr: number }, otherLr: number): { params: Parameter[]; lr: number }[] {
  const slow = new Set(parametersOf(model, { from, to }));
  const rest = model.parameters().filter((p) => !slow.has(p));
  return [{ params: [...slow], lr }, { params: rest, lr: otherLr }].filter((g) => g.params.length > 0);
}

export interface FeatureExtractorOptions {
  /** Freeze the extractor's layers (default true). */
  freeze?: boolean;
  name?: string;
}

/**
 * The sub-model from the input of `model` to the output of its layer `layerName`, sharing the
 * layers (and weights) of `model`, frozen unless freeze is false.
 */
export function featureExtractor(model: Model, layerName: string, { freeze: frozen = true, name }: FeatureExtractorOptions = {}): Model {
  const layer = model.layers[layerIndex(model, layerName, 'featureExtractor')];
  const extractor = new Model({ inputs: model.input, outputs: layer.output!, name: name ?? `${model.name}_to_${layerName}` });
  if (frozen) freeze(extractor);
  return extractor;
}

/**
 * One model: `base` followed by a copy of `head` (a model whose input shape is base's output
 * shape, e.g. trained on extracted features). The head's layers are rebuilt from its config on
 * base's output and get its current weights; base's layers are shared, not copied.
 */
export function attachHead(base: Model, head: Model, { name }: { name?: string } = {}): Model {
  if (head.inputShape.join() !== base.outputShape.join()) {
    throw new RangeError(`attachHead: the head '${head.name}' takes [${head.inputShape.join(', ')}] but base '${base.name}' outputs [${base.outputShape.join(', ')}]`);
  }
  const config = head.toConfig();
  const taken = new Set(base.layers.map((l) => l.name));
  const tensors = new Map<string, SymbolicTensor>([[config.input.name, base.output]]);
  const layers: Layer[] = [];
  for (const spec of config.layers) {
    if (taken.has(spec.config.name as string)) throw new RangeError(`attachHead: base '${base.name}' already has a layer named '${spec.config.name}'; name the head's layers differently`);
    const layer = layerFromConfig(spec);
    tensors.set(layer.name, layer.apply(spec.inbound.map((n) => tensors.get(n)!)));
    layers.push(layer);
  }
  const joined = new Model({ inputs: base.input, outputs: tensors.get(config.output)!, name: name ?? `${base.name}_${head.name}` });
  layers.forEach((l, i) => l.setWeights(head.layers[i].getWeights()));
  return joined;
}

/** An independent copy of a model: same topology, trainable flags and weights, new layers. */
export function cloneModel(model: Model, { name }: { name?: string } = {}): Model {
  const copy = Model.fromConfig({ ...model.toConfig(), name: name ?? model.name });
  copy.setWeights(model.getWeights());
  return copy;
}

declare module './model' {
  interface Model {
    /** featureExtractor(this, layerName, options): input .. layerName, shared layers, frozen by default. */
    featureExtractor(layerName: string, options?: FeatureExtractorOptions): Model;
  }
}

Model.prototype.featureExtractor = function (this: Model, layerName: string, options?: FeatureExtractorOptions): Model {
  return featureExtractor(this, layerName, options);
};
