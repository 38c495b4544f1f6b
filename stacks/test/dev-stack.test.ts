import { environmentStackSuite } from "./support/environment-suite.js";

environmentStackSuite("dev", { bytesScannedCutoff: 1_073_741_824 });
