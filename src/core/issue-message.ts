/** zod's wording, shortened to kubectl's: a missing field is "required". Free of zod itself. */
export function issueMessage(zodMessage: string): string {
  if (/^Invalid input: expected \w+, received undefined$/.test(zodMessage)) return "required";
  return zodMessage.replace(/^Invalid (input|option): /, "");
}
