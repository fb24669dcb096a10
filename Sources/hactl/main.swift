import HACLI

await Hactl.runMain()
