export { Code, codeName } from './code';
export { AppError, type FieldViolation } from './app-error';
export { Reason } from './reason';
