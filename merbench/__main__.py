from merbench.cli.main import main

main()
