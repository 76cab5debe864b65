from audit_tui.commands.main import main

if __name__ == "__main__":
    raise SystemExit(main())
