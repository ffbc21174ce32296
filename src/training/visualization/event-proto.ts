import * as protobuf from 'protobufjs';

/**
 * The parts of TensorFlow's event.proto / summary.proto / tensor.proto that scalar and text
 * summaries use (field numbers as TensorFlow defines them), declared in field-number order so
 * the encoding is the canonical one TensorFlow's own writer produces.
 */
const PROTO = `
syntax = "proto3";
package tensorboard;
message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what { string file_version = 3; Summary summary = 5; }
}
message Summary {
  message Value {
    string tag = 1;
    oneof value { float simple_value = 2; TensorProto tensor = 8; }
    SummaryMetadata metadata = 9;
  }
  repeated Value value = 1;
}
message SummaryMetadata {
  message PluginData { string plugin_name = 1; bytes content = 2; }
  PluginData plugin_data = 1;
}
message TensorShapeProto {
  message Dim { int64 size = 1; }
  repeated Dim dim = 2;
}
message TensorProto {
  int32 dtype = 1;
  TensorShapeProto tensor_shape = 2;
  repeated bytes string_val = 8;
}
`;

export const EVENT = protobuf.parse(PROTO, { keepCase: true }).root.lookupType('tensorboard.Event');

/** TensorFlow's DataType DT_STRING. */
export const DT_STRING = 7;

export interface EventFields {
  wall_time: number;
  step?: number;
  file_version?: string;
  summary?: { value: Array<{ tag: string; simple_value?: number; metadata?: object; tensor?: object }> };
}

export function encodeEvent(e: EventFields): Uint8Array {
  return EVENT.encode(EVENT.fromObject(e)).finish();
}
