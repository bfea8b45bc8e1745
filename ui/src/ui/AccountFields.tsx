/** The name, email and password inputs of the log-in, register and join forms. */
import { PasswordRules, usePasswordVerdict } from './password';

export interface Account {
  email: string;
  name: string;
  password: string;
}

const RULES_ID = 'password-rules';

/**
 * Logging in asks the email and the current password; making an account (`newAccount`) asks the name too,
 * and checks the new password's rules as it is typed. `emailLocked`: an invitation fixed the address.
 */
export function AccountFields({
  account,
  onChange,
  newAccount,
  emailLocked = false,
}: {
  account: Account;
  onChange: (change: Partial<Account>) => void;
  newAccount: boolean;
  emailLocked?: boolean;
}) {
  const { email, name, password } = account;
  const verdict = usePasswordVerdict(password, email, name, newAccount);
  return (
    <>
      {newAccount && (
        <label>
          Name
          <input name="name" autoComplete="name" value={name} onChange={(e) => onChange({ name: e.target.value })} />
        </label>
      )}
      <label>
        Email
        <input
          name="email"
          type="email"
          autoComplete={newAccount ? 'email' : 'username'}
          required
          readOnly={emailLocked}
          value={email}
          onChange={(e) => onChange({ email: e.target.value })}
        />
      </label>
      <label>
        Password
        <input
          name="password"
          type="password"
          autoComplete={newAccount ? 'new-password' : 'current-password'}
          required
          value={password}
          onChange={(e) => onChange({ password: e.target.value })}
          aria-describedby={newAccount ? RULES_ID : undefined}
        />
      </label>
      {newAccount && <PasswordRules id={RULES_ID} password={password} verdict={verdict} />}
    </>
  );
}
