import type { Role } from '@tessera/auth';
import type { PageRequest, ReadConsistency, Written } from '@tessera/data';

export type { ReadConsistency, Written };

/** A user as the domain sees it: a plain record, no driver types. */
export interface User {
  id: string;
  email: string;
  displayName: string;
  role: Role;
  createdAt: Date;
  updatedAt: Date;
}

export interface UserWithPassword extends User {
  passwordHash: string;
}

export interface NewUser {
  /** Logical shard the user is created on; their id will carry it. */
  shard: number;
  email: string;
  displayName: string;
  passwordHash: string;
  role: Role;
}


/** What the domain needs from storage; data-access/user-repository.ts implements it. */
export interface UserRepository {
  /** The logical shard for a new account with this (normalized) email. */
  shardForEmail(email: string): number;
  /** Inserts a user and claims its email; `value` is undefined when the email is taken by a live account. */
  insert(user: NewUser, deadline: number): Promise<Written<User | undefined>>;
  findById(id: string, consistency: ReadConsistency): Promise<User | undefined>;
  /** For login: the live account that currently owns this email, with its password hash. */
  findByEmail(email: string, deadline: number): Promise<UserWithPassword | undefined>;
  updateDisplayName(id: string, displayName: string, deadline: number): Promise<Written<User | undefined>>;
  /** Moves the email claim and the user's email; undefined when the new email is taken. */
  changeEmail(id: string, email: string, deadline: number): Promise<Written<User | undefined> | 'taken'>;
  setRole(id: string, role: Role, deadline: number): Promise<void>;
  setPasswordHash(id: string, passwordHash: string, deadline: number): Promise<void>;
  softDelete(id: string, deadline: number): Promise<Written<boolean>>;
  list(page: PageRequest, deadline: number): Promise<{ users: User[]; nextPageToken: string }>;
}

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, stored: string): Promise<boolean>;
}
