export { createWorkQueue } from "./work-queue.js";
