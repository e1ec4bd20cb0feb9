// The variant builder's dedicated module worker, as an app would write it.
import { serveVariantBuilder } from '@hybridgen/variants';

serveVariantBuilder(self as unknown as Parameters<typeof serveVariantBuilder>[0]);
