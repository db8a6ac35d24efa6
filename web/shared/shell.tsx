// The frame of every signed-in page: a top bar with the surface's navigation and, upper
// right, the person's name opening a small menu.
import { type ReactNode, useEffect, useRef, useState } from 'react';
import { Link, NavLink, useLocation } from 'react-router';
import { useSession, useSignedInUser } from './session.js';

export function Shell({ brand, nav, menuLinks, children }: { brand: string; nav: { to: string; label: string }[]; menuLinks: { to: string; label: string }[]; children: ReactNode }) {
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to="/" className="brand">
            <span className="brand-mark" aria-hidden="true">
              L
            </span>
            {brand}
          </Link>
          {nav.length === 0 ? null : (
            <nav aria-label="Main" className="topnav">
              {nav.map((item) => (
                <NavLink key={item.to} to={item.to}>
                  {item.label}
                </NavLink>
              ))}
            </nav>
          )}
          <div className="topbar-end">
            <UserMenu links={menuLinks} />
          </div>
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}

function UserMenu({ links }: { links: { to: string; label: string }[] }) {
  const user = useSignedInUser();
  const { signOut } = useSession();
  const [open, setOpen] = useState(false);
  const container = useRef<HTMLDivElement>(null);
  const location = useLocation();
  useEffect(() => setOpen(false), [location.pathname]);
  useEffect(() => {
    if (!open) return;
    const close = (event: Event) => {
      if (event instanceof KeyboardEvent ? event.key === 'Escape' : !container.current?.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener('keydown', close);
    document.addEventListener('mousedown', close);
    return () => {
      document.removeEventListener('keydown', close);
      document.removeEventListener('mousedown', close);
    };
  }, [open]);
  return (
    <div ref={container} className="menu-anchor">
      <button type="button" className="button button-secondary" aria-expanded={open} aria-controls="user-menu" onClick={() => setOpen(!open)}>
        {user.firstName} {user.lastName}
        <span aria-hidden="true">▾</span>
      </button>
      {open ? (
        <div id="user-menu" className="menu">
          {links.map((link) => (
            <Link key={link.to} to={link.to}>
              {link.label}
            </Link>
          ))}
          <button type="button" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      ) : null}
    </div>
  );
}

/** Moves focus to the page's heading when it changes, so screen readers hear the new page. */
export function PageHeading({ children }: { children: ReactNode }) {
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), []);
  return (
    <h1 ref={heading} tabIndex={-1}>
      {children}
    </h1>
  );
}
