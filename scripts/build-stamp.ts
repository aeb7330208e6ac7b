/** The last step of `npm run build`: stamps `dist/` with the sources it was made from. */
import { writeBuildStamp } from '../src/build-stamp.ts';

writeBuildStamp();
