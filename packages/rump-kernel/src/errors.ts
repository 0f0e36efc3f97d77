import { errnoName } from '@rumpflow/sysproxy';

/** A syscall's failure inside the kernel: the errno the caller receives. */
export class KernelError extends Error {
  override readonly name = 'KernelError';
  constructor(
    readonly errno: number,
    readonly detail?: string,
  ) {
    super(detail ? `${errnoName(errno)}: ${detail}` : errnoName(errno));
  }
}
