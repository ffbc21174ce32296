/**
 * Errors a user can act on. The CLI prints `message` as one line and exits with code 2;
 * anything else is a bug and keeps its stack trace.
 */
export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/** A bad config value: names the file (when known) and the dotted config path. */
export class ConfigError extends UserError {
  constructor(
    readonly configPath: string,
    readonly detail: string,
    readonly file?: string,
  ) {
    super(`${file ? `${file}: ` : ''}${configPath ? `${configPath}: ` : ''}${detail}`);
    this.name = 'ConfigError';
  }

  /** The same error, now knowing which file it came from. */
  inFile(file: string): ConfigError {
    return this.file ? this : new ConfigError(this.configPath, this.detail, file);
  }
}

/** A checkpoint, image, annotation or tensor file that cannot be used as asked. */
export class FileError extends UserError {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`${file}: ${detail}`);
    this.name = 'FileError';
  }
}
