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
  email: string;
  displayName: string;
  passwordHash: string;
}

/** What the domain needs from storage; data-access/user-repository.ts implements it. */
export interface UserRepository {
  /** Inserts a user; returns undefined when the email is already taken by a live account. */
  insert(user: NewUser): Promise<User | undefined>;
  findById(id: string): Promise<User | undefined>;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
}
