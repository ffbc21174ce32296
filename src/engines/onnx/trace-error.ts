import { UserError } from '../../core/errors';

/** A model does something that cannot become an ONNX graph (reads values, trains, ...). */
export class TraceError extends UserError {
  constructor(message: string) {
    super(message);
    this.name = 'TraceError';
  }
}
