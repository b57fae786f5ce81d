/** The account id in an IAM or KMS ARN (`arn:aws:iam::123456789012:role/x` → `123456789012`). */
export function accountOf(arn: string): string {
  const account = arn.split(":")[4];
  if (account === undefined || !/^\d{12}$/.test(account)) throw new Error(`'${arn}' names no AWS account`);
  return account;
}
