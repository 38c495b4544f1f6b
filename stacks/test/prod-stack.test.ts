import { environmentStackSuite } from "./support/environment-suite.js";

environmentStackSuite("prod", { bytesScannedCutoff: 10_737_418_240 });
