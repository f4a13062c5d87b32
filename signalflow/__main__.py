from signalflow.cli import main

main()
