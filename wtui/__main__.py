from wtui.cli import run

if __name__ == "__main__":  # not when a worker process (spawn) imports the parent's main module
    run()
