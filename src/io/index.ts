export { loadCheckpoint, loadCheckpointFrom, saveCheckpoint, detectCheckpointFormat, hrdetVersion, type Checkpoint, type CheckpointFormat, type LoadCheckpointOptions } from './checkpoint';
export { readSafetensors, readSafetensorsHeader, parseSafetensors, writeSafetensors, encodeSafetensors, type SafetensorsFile, type TensorSet } from './safetensors';
export { applyKeyMap, mapKey, keyMapSchema, type KeyMap, type KeyMapRule } from './key-map';
export { openPth, readPth, type PthFile } from './pth';
export { BufferSource, FileSource, type ByteSource } from './byte-source';
export { writeFileAtomic } from './atomic-write';
