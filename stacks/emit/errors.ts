/** Raised when a stack cannot be emitted as a Terraform module; the message says what to change. */
export class EmitError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "EmitError";
  }
}
