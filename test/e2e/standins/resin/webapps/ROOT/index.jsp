<%-- The default home page a fresh Resin install puts in webapps/ROOT (stand-in). --%>
<html><head><title>Resin Default Home Page</title></head>
<body><h1>Resin Default Home Page</h1><p>This is the stand-in Resin's default home page.</p></body></html>
