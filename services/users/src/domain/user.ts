/** A user as the domain sees it: a plain record, no driver types. */
export interface User {
  id: string;
  email: string;
  displayName: string;
  role: 'user' | 'admin';
  createdAt: Date;
  updatedAt: Date;
}

export interface NewUser {
  /** Logical shard the user is created on; their id will carry it. */
  shard: number;
  email: string;
  displayName: string;
  passwordHash: string;
}

/** Read-your-writes: a write's token, and the tokens a read must honour. */
export interface Consistency {
  tokens: readonly string[];
  deadline: number;
}

/** What the domain needs from storage; data-access/user-repository.ts implements it. */
export interface UserRepository {
  /** The logical shard for a new account with this (normalized) email. */
  shardForEmail(email: string): number;
  /** Inserts a user; `user` is undefined when the email is already taken by a live account. */
  insert(user: NewUser, deadline: number): Promise<{ user: User | undefined; token: string }>;
  findById(id: string, consistency: Consistency): Promise<User | undefined>;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
}
